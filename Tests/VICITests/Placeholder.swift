// Placeholder: tests of this target are filled in by its issue.
