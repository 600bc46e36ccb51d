"""Images and files in chat: checked (type from the bytes, size), stored through Django's storage API, thumbnailed
when Pillow is installed, sent as an image or file message, and served only to those who see the conversation."""
