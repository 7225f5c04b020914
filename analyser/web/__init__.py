"""The local web page: `analyser serve`. Everything runs and stays on this machine."""
