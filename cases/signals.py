"""What the cases tell the apps above them, which they may not import: the apps connect their
receivers in their ``AppConfig.ready()``.

``case_moved`` is sent inside the transaction of every workflow move, after the move and its
status change are written (``sender`` is ``Case``; ``case`` (as moved), ``from_status``,
``from_closure_reason`` (the closure reason before the move), ``to_status`` and ``actor`` are
passed by name). A receiver that fails rolls the move back: keep receivers to
bookkeeping that cannot fail on the data.
"""

from __future__ import annotations

from django.dispatch import Signal

case_moved = Signal()
