from horogen.cli import main

main()
