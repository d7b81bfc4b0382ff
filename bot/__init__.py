"""Mission Bot: a bilingual Telegram assistant for delegation logistics."""
