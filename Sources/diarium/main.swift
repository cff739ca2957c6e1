import DiariumCLI

DiariumCommand.runMain()
