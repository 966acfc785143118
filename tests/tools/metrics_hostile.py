import socket, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=20)
if what == "bigheader":
    # a 4 MB header line: refused, and not held
    s = conn()
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * (4 << 20))
    except OSError:
        pass
    s.settimeout(10)
    try:
        r = s.recv(100)
    except OSError:
        r = b""
    print("answer:", r.split(b"\r\n")[0].decode(errors="replace") or "closed")
elif what == "idle":
    s = conn()
    t0 = time.time()
    s.recv(100)
    print("closed after %.0f s" % (time.time() - t0))
elif what == "flood":
    # more connections than its file descriptors, held 3 s
    held = []
    for _ in range(int(sys.argv[3])):
        try:
            held.append(conn())
        except OSError:
            break
    time.sleep(3)
    print("held", len(held))
