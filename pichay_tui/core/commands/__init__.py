"""Named commands: one registry for keys, the palette, the control API and the model's calls."""
