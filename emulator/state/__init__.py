"""All emulator state: the records of every account and region (store), and nothing else."""
