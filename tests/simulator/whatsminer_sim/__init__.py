"""WhatsMiner simulator: an independent implementation of the MicroBT WhatsMiner API V2.2.

It serves any number of simulated miners from one asyncio process, for testing the
``minerops.whatsminer`` collection and playbooks without hardware. It deliberately shares
no code with the collection (``plugins/``): it is a second, independent reading of the
protocol, so that a misunderstanding in one does not hide in the other.
"""

__version__ = '1.0.0'
