# The busybox tools that read /proc, /dev and the kernel log, run inside Kestrel; each section
# starts with "== name". tests/user/procfs_check.py checks the values against each other and against
# what the kernel logged at boot.
sleep 600 &
SLEEPER=$!
echo "== ids"
echo "shell $$ sleeper $SLEEPER"
echo "== meminfo"
cat /proc/meminfo
echo "== free"
free
echo "== uptime"
cat /proc/uptime
uptime
echo "== ps"
ps
echo "== top"
top -bn1
echo "== df"
df
echo "== statfs"
stat -f -c "%b %S" /
echo "== mount"
mount
echo "== pidof"
pidof sleep
echo "== exe"
readlink /proc/$SLEEPER/exe
readlink /proc/1/exe
cat /proc/$SLEEPER/comm
echo "== killall"
killall sleep
wait $SLEEPER
echo "status $?"
pidof sleep || echo "no sleep left"
echo "== dmesg"
dmesg
echo "== kmsg"
echo "<4>procfs-check marker" > /dev/kmsg
dmesg | grep -c "procfs-check marker"
dmesg -r | grep "procfs-check marker" | cut -c1-3
head -n 1 /dev/kmsg | cut -d, -f1,2
dmesg -c > /dev/null
echo "<6>after clear" > /dev/kmsg
dmesg
echo "== kmsgwait"
# A /dev/kmsg reader waits at the end of the log (as on Linux): it is read in the background, and
# killed once the record written after it started has come through.
cat /dev/kmsg > /tmp/kmsg.out &
READER=$!
echo "<5>late record" > /dev/kmsg
until grep -q "late record" /tmp/kmsg.out; do sleep 1; done
kill $READER
wait $READER
echo "status $?"
grep -e "procfs-check marker" -e "late record" /tmp/kmsg.out | cut -d, -f1
echo "== stat"
cat /proc/stat
cat /proc/uptime
echo "== selfstat"
cat /proc/self/stat
readlink /proc/self/cwd
pwd -P
readlink /dev/stdout
readlink /proc/self/fd/1
ls -l /proc/self/fd/1
echo "== end"
