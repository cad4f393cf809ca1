from dockyard._entry import main

main()
