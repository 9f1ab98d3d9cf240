/* An assembler warning on every ISA: a data value that does not fit its
   byte. tests/objects/fatal_warnings.cmake assembles it with and without
   the build's fatal-warnings flag. */
	.data
	.byte 300
