"""The app's panels, one per file; each draws an immutable snapshot it is handed."""
