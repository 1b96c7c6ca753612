"""Inference: OWL RL steps and the rule files run to a fixpoint, with the query analyses that decide what runs and whether a batch of cases may run together."""
