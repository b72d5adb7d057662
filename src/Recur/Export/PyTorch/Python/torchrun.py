#!/usr/bin/env python3
"""torchrun for this package: `python3 torchrun.py --nproc_per_node N train.py ...` is
`python3 -m torch.distributed.run --nproc_per_node N train.py ...`, with one repair: torch 1.13's launcher cannot read
its own default --redirects and --tee ("0") under Python 3.11 and later (iterating an enum.Flag there skips the zero
member, so Std.from_str("0") returns None and the launcher stops with "'NoneType' object has no attribute 'get'").
Elsewhere it changes nothing.
"""

import re

from torch.distributed.elastic.multiprocessing import api


def _from_str(vm):
    if re.fullmatch(r"\d", vm):
        return api.Std(int(vm))
    if re.fullmatch(r"(\d:\d,)*\d:\d", vm):
        return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match a number or a mapping such as 0:1,1:0")


api.Std.from_str = staticmethod(_from_str)

if __name__ == "__main__":
    from torch.distributed.run import main

    main()
