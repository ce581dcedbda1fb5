"""Campaign files: load YAML with positions, validate (schema + semantics), build the model."""
