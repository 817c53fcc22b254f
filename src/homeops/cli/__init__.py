"""The thin command-line layer: parse arguments into options, call one library function, print."""
