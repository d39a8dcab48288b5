"""Lists the arrays defined in NAME_weights.c that NAME.c never uses.

    unused_weights.py DIR NAME

Prints one "unused weight: SYMBOL" line per dead array and exits 1 when
there is any, 0 otherwise. (A dead const array still costs flash on a
microcontroller unless the linker drops unused sections.)
"""
import re
import sys


def main():
    out, name = sys.argv[1], sys.argv[2]
    with open("%s/%s_weights.c" % (out, name)) as f:
        defined = re.findall(r"^const \w+ (\w+)\[", f.read(), re.M)
    with open("%s/%s.c" % (out, name)) as f:
        # Uses outside the extern declarations.
        body = "\n".join(l for l in f.read().splitlines() if not l.startswith("extern "))
    unused = [d for d in defined if not re.search(r"\b%s\b" % re.escape(d), body)]
    for d in unused:
        print("unused weight: %s" % d)
    sys.exit(1 if unused else 0)


if __name__ == "__main__":
    main()
