from impact_dev.cli import main

main()
