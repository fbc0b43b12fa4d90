/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), as GPT, zlib and Ethernet use it. */
#pragma once
#include <kestrel/types.h>

/* crc32(0, data, len) checksums data; pass a previous result as crc to continue over more data. */
uint32_t crc32(uint32_t crc, const void *data, size_t len);
