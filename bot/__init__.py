"""Telegram bot that follows image generations on AceData Cloud's Nano Banana API."""

__version__ = "0.1.0"
