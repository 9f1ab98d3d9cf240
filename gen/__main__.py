import os
import sys

from .cli import main

try:
    raise SystemExit(main())
except BrokenPipeError:
    # The reader (`explain ... | head`) went away: not an error of ours.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(0)
