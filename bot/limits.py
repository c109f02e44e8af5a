"""Telegram's size limits, in one place.

Sources: the Bot API documentation (https://core.telegram.org/bots/api) for python-telegram-bot
22.x, whose constants are used where it has them. Telegram may change these numbers.
"""

from telegram.constants import FileSizeLimit, MediaGroupLimit, MessageLimit

# Text of one message and caption of one media message, in UTF-16 code units after the
# HTML markup has been parsed into entities.
MAX_TEXT_LENGTH = MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION_LENGTH = MessageLimit.CAPTION_LENGTH

# Items in one album (sendMediaGroup).
MIN_ALBUM_SIZE = MediaGroupLimit.MIN_MEDIA_LENGTH
MAX_ALBUM_SIZE = MediaGroupLimit.MAX_MEDIA_LENGTH

# A photo Telegram downloads from a URL itself, and one uploaded as bytes (decimal megabytes,
# as python-telegram-bot counts them).
MAX_PHOTO_URL_BYTES = 5_000_000
MAX_PHOTO_UPLOAD_BYTES = FileSizeLimit.PHOTOSIZE_UPLOAD

# Any other file (a document) uploaded as bytes to api.telegram.org.
MAX_DOCUMENT_UPLOAD_BYTES = FileSizeLimit.FILESIZE_UPLOAD

# A photo's width plus height, and the ratio of its longer side to its shorter side.
MAX_PHOTO_DIMENSIONS_SUM = 10_000
MAX_PHOTO_ASPECT_RATIO = 20

# Image formats (Pillow's names) that are sent as photos unchanged. Bot authors report that
# Telegram turns a WebP sent as a photo into a sticker, which hides the caption, so every
# other format is converted to one of these first.
PHOTO_FORMATS = frozenset({"JPEG", "PNG"})

# Data attached to an inline button.
MAX_CALLBACK_DATA_BYTES = 64
