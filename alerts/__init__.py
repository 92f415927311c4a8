"""Digests (Jinja2), the SMTP mailer, and the loopback SMTP sink the demo and tests use."""
