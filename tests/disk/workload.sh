# The filesystem workload of tests/disk/disk_suite.py, run by busybox sh inside Kestrel on the ext2
# root of build/disk.img (and its FAT32 partition at /mnt/fat). Everything it writes is
# deterministic, so the host can check the images afterwards with e2fsck, fsck.fat, debugfs and
# mtools. Output: "host-file MD5 PATH" for files the host put in the images, "enospc ..." for the
# full-disk checks, then "ext2 ..." and "fat ..." manifest lines of everything left.
FAT_DEV=$1
D=/data

# Files the host put into the images, as Kestrel reads them.
for f in /bin/busybox /init /tests/t_files /etc/passwd; do echo "host-file $(md5sum $f)"; done
mkdir -p /mnt/fat
mountpoint -q /mnt/fat || mount -t vfat "$FAT_DEV" /mnt/fat || echo "mount-failed vfat $FAT_DEV"
echo "host-file $(md5sum /mnt/fat/README.TXT)"

# Thousands of files in directories, then changes of every kind.
mkdir $D
i=0
while [ $i -lt 40 ]; do
    mkdir -p $D/d$i/sub
    j=0
    while [ $j -lt 50 ]; do
        echo "file $i $j" > $D/d$i/f$j
        j=$((j + 1))
    done
    i=$((i + 1))
done
for i in 0 1 2 3 4 5 6 7 8 9; do
    echo "appended $i" >> $D/d$i/f1
    echo "overwritten $i" > $D/d$i/f2
    truncate -s 0 $D/d$i/f3
    truncate -s 100000 $D/d$i/f4
    truncate -s 3 $D/d$i/f5
done
mv $D/d10 $D/d10-renamed
mv $D/d11/f5 $D/d12/moved-here
mv $D/d13/f6 $D/d13/f7
ln $D/d14/f6 $D/d14/hard-link
ln -s ../d14/f6 $D/d15/fast-symlink
ln -s /data/a/path/long/enough/that/it/cannot/live/in/the/inode/itself/which/holds/sixty/bytes $D/d15/slow-symlink
rm -r $D/d16
rm $D/d17/f*
rmdir $D/d18/sub
chmod 600 $D/d19/f1
chmod 4755 $D/d19/f2
chown 1000:1000 $D/d19/f3
mkdir -m 1777 $D/sticky
: > $D/empty
yes 0123456789abcdef | head -c 67108864 > $D/big64m
yes 'not a multiple of the block size' | head -c 1000001 > $D/odd-size
# Written only through a MAP_SHARED mapping: the page cache must write the stores back.
/tests/t_mmapfile mapwrite $D/mmapped || echo "mapwrite-failed ext2"

# The FAT partition: long names, nested directories, a multi-cluster file, renames and deletes.
F=/mnt/fat
mkdir "$F/A Long Directory Name"
i=0
while [ $i -lt 200 ]; do
    echo "fat file $i" > "$F/A Long Directory Name/Long file name number $i.txt"
    i=$((i + 1))
done
mkdir -p $F/short/nested/deeper
echo deep > $F/short/nested/deeper/x.txt
/tests/t_mmapfile mapwrite $F/mmapped.bin || echo "mapwrite-failed fat"
yes 'FAT cluster chain' | head -c 5000000 > "$F/five megabytes.bin"
mv "$F/A Long Directory Name/Long file name number 7.txt" "$F/renamed with spaces.txt"
rm "$F/A Long Directory Name/Long file name number 8.txt"
rm -r $F/short/nested/deeper

# Full disks: writing until ENOSPC fails cleanly, and freeing the space works.
for fill in /fill $F/fill; do
    # dd's complaint goes through a pipe: the full disk has no room for a file holding it.
    echo "enospc $fill $(dd if=/dev/zero of=$fill bs=1M 2>&1 | grep -c 'No space left on device')"
    echo more > $fill.after 2>/dev/null && echo "enospc-small-write-ok $fill" || echo "enospc-small-write-failed $fill"
    rm -f $fill $fill.after
done

# What is left, as Kestrel sees it.
cd $D && find . | sort | while read -r p; do
    if [ -L "$p" ]; then
        echo "ext2 $p link $(readlink "$p")"
    elif [ -d "$p" ]; then
        echo "ext2 $p dir $(stat -c '%a %u %g' "$p")"
    else
        echo "ext2 $p file $(stat -c '%s %a %u %g' "$p") $(md5sum < "$p" | cut -d' ' -f1)"
    fi
done
cd $F && find . | sort | while read -r p; do
    if [ -d "$p" ]; then
        echo "fat $p dir"
    else
        echo "fat $p file $(stat -c '%s' "$p") $(md5sum < "$p" | cut -d' ' -f1)"
    fi
done
cd /
umount /mnt/fat && echo "fat-unmounted"
sync
echo "workload done"
