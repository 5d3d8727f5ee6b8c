"""trialx's command line: one module per command group, joined in `cli.main`."""
