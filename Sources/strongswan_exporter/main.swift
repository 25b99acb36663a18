// Placeholder entry point; replaced by the CLI.
print("strongswan_exporter")
