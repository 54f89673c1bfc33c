"""A stand-in for the national CBCCVC database, for development and tests only.

It speaks this project's JSON protocol (docs/national-sync.md), not the national data-sharing
platform's, and can be told to fail or be slow (POST /control).
"""
