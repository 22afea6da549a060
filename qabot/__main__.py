import sys

from qabot.cli import main

sys.exit(main())
