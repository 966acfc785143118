# What an operator writes by hand: bytes and count per allocation site
# from a qm fragment list (the baseline bench/parse compares against).
/ N  address=/ {
	i = index($0, "size=")
	size = substr($0, i + 5) + 0
	next
}
/alloc'd from / {
	i = index($0, "alloc'd from ")
	site = substr($0, i + 13)
	bytes[site] += size
	count[site]++
}
END {
	for (s in bytes)
		printf "%d %d %s\n", bytes[s], count[s], s
}
