#!/bin/sh
# The busybox battery: a deterministic run of many busybox applets (files, text processing, archives,
# shell features). Its output on the host (Debian's busybox-static under Linux) is the expected output
# for the same script run inside Kestrel through tools/krun. No times, sizes of directories, inode
# numbers or ids that differ between machines are printed. Run it with busybox's sh.
BB=${BB:-busybox}
umask 022
# Every applet goes through $BB, so on the host no GNU tool stands in for a busybox applet.
for a in awk basename cat chmod cmp cp cut dirname echo env expr false find grep gunzip gzip head \
    hexdump ln ls md5sum mkdir mktemp mv od printf readlink realpath rm rmdir sed seq sha1sum sha256sum \
    sleep sort stat tail tar tee test touch tr true uniq wc xargs yes diff fold nl rev paste \
    dd truncate base64 factor expand uname id xxd; do
    eval "$a() { \"\$BB\" $a \"\$@\"; }"
done

step() { echo "== $*"; }

W=$(mktemp -d /tmp/battery.XXXXXX) || exit 1
cd "$W" || exit 1

step files
mkdir -p a/b/c
echo hello > a/b/c/f1
printf 'one\ntwo\nthree\n' > a/f2
cp a/f2 a/b/f3
cp -r a a2
mv a2/f2 a2/f2moved
ls -1 a a/b a2 | cat
cat a/b/c/f1 a/f2
ln -s f2 a/link
readlink a/link
test -L a/link && echo "link ok"
test -d a/b && echo "dir ok"
test -f a/f2 -a ! -e a/none && echo "file ok"
touch a/empty
test -s a/empty || echo "empty ok"
chmod 640 a/f2
stat -c '%a %s %n' a/f2 a/b/c/f1
rm -r a2
test -e a2 || echo "rm -r ok"
rmdir a/b/c 2>/dev/null || echo "rmdir non-empty refused"
find a -type f | sort
find a -name 'f*' -type f | sort | xargs cat | wc -l
basename /x/y/z.txt .txt
dirname /x/y/z.txt
realpath a/b/../f2 | sed "s|$W|W|"

step text
seq 1 10 | tr '\n' ' '; echo
seq 5 -1 1 | sort -n | tr '\n' ','; echo
printf 'b\na\nc\na\n' | sort | uniq -c | sed 's/^ *//'
printf 'b\na\nc\na\n' | sort -r -u
printf 'x y z\n1 2 3\n' | awk '{ print $3, $1; s += NF } END { print "fields", s }'
echo "a:b:c:d" | cut -d: -f2,4
echo "hello world" | sed -e 's/world/kestrel/' -e 's/^h/H/'
echo "Hello World" | tr 'a-z' 'A-Z'
echo "banana" | tr -d 'a'
printf 'alpha\nbeta\ngamma\ndelta\n' > words
grep -n 'a$' words
grep -c e words
grep -v -e alpha -e beta words
grep -E '^(b|g)' words
head -n 2 words
tail -n 1 words
head -c 5 words; echo
wc -l < words
wc -w words | awk '{print $1}'
wc -c < words
printf '%s-%05d-%x-%o\n' str 42 255 8
expr 6 \* 7
expr length "kestrel"
expr 10 % 3
echo "abc" | rev
printf '1\n2\n' > n1; printf 'a\nb\n' > n2
paste n1 n2
nl -b a words | sed 's/^ *//'
printf 'aaaaabbbbbccccc\n' | fold -w 5
printf 'a\nb\nc\n' > c1; printf 'b\nc\nd\n' > c2
diff c1 c2 > /dev/null || echo "diff: files differ"
cmp -s c1 c1 && echo "cmp: same"
printf 'tab\there\n' | expand -t 4
yes kestrel | head -n 3
factor 360
echo 'print me' | tee teed > /dev/null; cat teed
echo "x=1 y=2" | awk -F'[ =]' '{ print $2 + $4 }'
printf 'c 3\na 1\nb 2\n' | sort -k2 -n | awk '{print $1}' | tr -d '\n'; echo

step checksums-and-encodings
printf 'The quick brown fox\n' > fox
md5sum fox
sha1sum fox
sha256sum fox
base64 fox
base64 fox | base64 -d
od -A x -t x1 fox | head -n 2
od -c fox | head -n 1
hexdump -C fox | head -n 2
xxd fox | head -n 1

step archives
mkdir -p arc/sub
echo one > arc/one
echo two > arc/sub/two
tar cf arc.tar arc
tar tf arc.tar | sort
mkdir out && tar xf arc.tar -C out && cat out/arc/sub/two
gzip -c arc/one > one.gz
gunzip -c one.gz
gzip -c < arc/sub/two | gunzip | md5sum
tar czf arc.tgz arc && tar tzf arc.tgz | sort | head -n 1

step dd-truncate
dd if=/dev/zero of=zeros bs=512 count=4 2>/dev/null
stat -c '%s' zeros
truncate -s 100 zeros
stat -c '%s' zeros
seq 1 10 > ten
dd if=ten of=tail3 bs=1 skip=15 2>/dev/null
cat tail3

step shell
x=5; y=$((x * 3 + 1)); echo "arith $y"
for i in 1 2 3; do printf '%s.' "$i"; done; echo
i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo "while $i"
case "kestrel" in k*) echo "case ok" ;; *) echo "case bad" ;; esac
f() { echo "func $1 $#"; return 3; }; f arg other; echo "status $?"
s="a,b,c"; IFS=,; set -- $s; unset IFS; echo "fields $# $2"
v=$(echo sub | tr a-z A-Z); echo "subst $v"
echo "${v:-default} ${unset_var:-default} ${#v}"
true && echo "and ok"; false || echo "or ok"
( exit 7 ); echo "subshell $?"
echo here | { read line; echo "read $line"; }
cat <<EOF
heredoc $x
EOF
echo out > redir; echo more >> redir; cat redir
{ echo to-stderr 1>&2; } 2>/dev/null; echo "redirect ok"
env - A=1 B=2 env | sort
printf 'bg\n' > bgf & wait; cat bgf
sleep 0
uname -m
id -u

step cleanup
cd /
rm -rf "$W"
test -e "$W" || echo "clean"
echo "battery done"
