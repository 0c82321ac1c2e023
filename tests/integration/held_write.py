"""Runs the ``horogen`` command line with the write of one lake file held open, so a test
can kill the process while it is writing that file.

    python held_write.py FILE_NAME horogen-arguments…

The file's bytes go to the lake's temporary file as usual; the rename that would put them
in place never comes (the process waits there until it is killed).
"""

from __future__ import annotations

import os
import sys
import time

from horogen.cli import main

held, *arguments = sys.argv[1:]
_replace = os.replace


def _hold_before_renaming(source: str, target: str, *args: object, **kwargs: object) -> None:
    if os.path.basename(target) == held:
        while True:
            time.sleep(60)
    _replace(source, target, *args, **kwargs)


os.replace = _hold_before_renaming
sys.argv = ["horogen", *arguments]
main()
