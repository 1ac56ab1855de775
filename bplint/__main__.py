from bplint.cli import main

main()
