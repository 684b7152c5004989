"""Haven, the embedded reference web app the compatibility harness runs against."""
