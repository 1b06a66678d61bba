from fupin.cli.main import main

raise SystemExit(main())
