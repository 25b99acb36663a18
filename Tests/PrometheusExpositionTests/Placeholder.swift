// Placeholder until the exposition tests land.
