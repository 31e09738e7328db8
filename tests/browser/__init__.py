"""Browser tests: the real app in the system Chromium, driven by Playwright."""
