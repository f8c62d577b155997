from newsqa.cli import main

raise SystemExit(main())
