"""Mission Bot: a bilingual Telegram assistant for delegation logistics."""

import os

# Opt in now to PTB's coming behaviour: durations such as RetryAfter.retry_after are
# timedeltas (without this PTB 22 warns on every read).
os.environ.setdefault("PTB_TIMEDELTA", "1")
