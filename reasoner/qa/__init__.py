"""Quality assurance of the knowledge base, above the engine: dorsum check (HermiT, the knowledge-base shapes, QA queries, pathway guards, batch isolation of the rules)."""
