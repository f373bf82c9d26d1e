from tnorder.cli import main

main()
