"""The `pichay-tui` command line: subcommands on top of ui/, proxy/, store/ and sim/."""
