"""The HTML pages of Hồ sơ: server-rendered over the same services as the JSON API."""
