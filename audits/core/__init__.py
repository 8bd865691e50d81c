"""Pure cores: plain data in, plain data out. No Django ORM, no settings, no I/O beyond
reading a packaged file, so each can be tested and re-checked on its own
(tests/test_layers.py enforces it). Statistics, sampling, grading rules, the opinion,
agreement, figures, the register CSV rules, assignment and placement live here."""
