"""The admin pages: lead sources in a browser, signed in with an API token."""
