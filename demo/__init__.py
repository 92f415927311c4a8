"""The recorded demo web (three invented councils, a media wire, an e-alert feed) and its server."""
