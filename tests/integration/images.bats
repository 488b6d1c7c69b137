#!/usr/bin/env bats
# Images: names resolve to trees under the root's images/, each container
# writes to its own overlay layer, and the image is never touched.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	require_root
	ctrd_start
}

teardown_file() {
	ctrd_stop
}

teardown() {
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || dump_log
}

@test "run busybox uses the image, with its default command" {
	run "$CTRCTL" run --rm busybox sh -c 'echo $((6 * 7))'
	[ "$status" -eq 0 ]
	[ "$output" = 42 ]
	# No command: the image's ("sh"), reading our stdin.
	run bash -c "echo 'echo from-default-command' | '$CTRCTL' run --rm -i busybox"
	[ "$status" -eq 0 ]
	[ "$output" = from-default-command ]
	[ "$(inspect_field "$("$CTRCTL" run -d busybox true)" config.command)" = '["true"]' ]
}

@test "writes go to the container's own layer; the image stays untouched" {
	before=$(find "$T/root/images/busybox" | sort | md5sum)
	id=$("$CTRCTL" run -d --name writer busybox sh -c 'echo mine > /etc/motd; rm /bin/ls; exec sleep 1000')
	wait_until 10 eval '[ -e "$T/root/containers/$id/upper/etc/motd" ]'
	# Another container of the image sees the image, not the first one's changes.
	run "$CTRCTL" run --rm busybox sh -c 'ls /etc/motd; ls /bin/ls'
	[[ "$output" == *"/etc/motd: No such file or directory"* ]]
	[[ "$output" == *"/bin/ls"* ]]
	[ "$("$CTRCTL" exec writer cat /etc/motd)" = mine ]
	[ "$(find "$T/root/images/busybox" | sort | md5sum)" = "$before" ]
	# Nothing of the overlay is visible on the host: it lives in the container's mount namespace.
	refute grep -q "$T/root/containers/$id" /proc/self/mountinfo
	"$CTRCTL" rm -f writer
	[ ! -e "$T/root/containers/$id" ]
	[ "$(find "$T/root/images/busybox" | sort | md5sum)" = "$before" ]
}

@test "--read-only with an image" {
	run "$CTRCTL" run --rm --read-only busybox touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "an unknown or malformed image name is a clear error" {
	run "$CTRCTL" run --rm nope true
	[ "$status" -eq 125 ]
	[[ "$output" == "ctrctl: no such image: nope"* ]]
	run "$CTRCTL" run --rm ../../etc true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not a valid image name"* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"run","params":{"image":"nope","detach":true}}'
	[[ "$output" == *'"code":-32001'* ]]
	[ -z "$("$CTRCTL" ps -aq)" ] || "$CTRCTL" rm -f $("$CTRCTL" ps -aq)
}

@test "ctrctl images lists the images" {
	run "$CTRCTL" images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == NAME* ]]
	[[ "${lines[1]}" == busybox* ]]
	run rpc '{"jsonrpc":"2.0","id":1,"method":"images"}'
	[[ "$output" == *'"name":"busybox"'*'"command":["sh"]'* ]]
	size=$(rpc '{"jsonrpc":"2.0","id":1,"method":"images"}' | grep -o '"size":[0-9]*' | cut -d: -f2)
	[ "$size" -gt 1000000 ]
}
