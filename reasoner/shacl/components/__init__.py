"""The constraint components, one module a group (as pySHACL lays them out): each function adds
to a ShapeContext the branches of the shape's query for one component parameter of the shape.
COMPONENTS maps each parameter to its component IRI, HANDLERS to its function; the compiler
dispatches on them."""

from __future__ import annotations

from ...namespaces import SH
from . import cardinality, logical, other, property_pair, shape_based, string_based, value_range, value_type

# parameter -> constraint component (sh:property is the compiler's own: it nests whole shapes)
COMPONENTS = {
    SH.property: SH.PropertyConstraintComponent, SH.node: SH.NodeConstraintComponent,
    SH["and"]: SH.AndConstraintComponent, SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent, SH["not"]: SH.NotConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent, SH["class"]: SH.ClassConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent, SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent, SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent, SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent, SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent, SH.closed: SH.ClosedConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent, SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent, SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent, SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH.qualifiedMinCount: SH.QualifiedMinCountConstraintComponent,
    SH.qualifiedMaxCount: SH.QualifiedMaxCountConstraintComponent,
}
HANDLERS = {
    SH.minCount: cardinality.counts, SH.maxCount: cardinality.counts,
    SH.datatype: value_type.datatype, SH["class"]: value_type.class_, SH.nodeKind: value_type.node_kind,
    SH.minInclusive: value_range.comparison, SH.maxInclusive: value_range.comparison,
    SH.minExclusive: value_range.comparison, SH.maxExclusive: value_range.comparison,
    SH.minLength: string_based.length, SH.maxLength: string_based.length, SH.pattern: string_based.pattern,
    SH.languageIn: string_based.language_in, SH.uniqueLang: string_based.unique_lang,
    SH.equals: property_pair.pair, SH.disjoint: property_pair.pair,
    SH.lessThan: property_pair.pair, SH.lessThanOrEquals: property_pair.pair,
    SH["and"]: logical.and_, SH["or"]: logical.or_, SH.xone: logical.xone, SH["not"]: logical.not_,
    SH.node: shape_based.node, SH.qualifiedMinCount: shape_based.qualified, SH.qualifiedMaxCount: shape_based.qualified,
    SH["in"]: other.in_, SH.hasValue: other.has_value, SH.closed: other.closed,
}
