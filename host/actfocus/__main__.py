from actfocus.cli import main

raise SystemExit(main())
