from chatbench.cli import main

main()
