# check_psycopg is the psycopg2 client of pgwire's tests
# (pgwire/clients_test.go), run by Debian's /usr/bin/python3: parameters,
# a named server-side cursor, and what the catalogs list; it prints
# key=value lines for the test to check.
#
#   /usr/bin/python3 check_psycopg.py HOST PORT USER PASSWORD
import sys

import psycopg2

host, port, user, password = sys.argv[1:5]
conn = psycopg2.connect(host=host, port=port, user=user, password=password, dbname="agentlayer", sslmode="disable")
cur = conn.cursor()
cur.execute("SELECT count(*) FROM ORDERS WHERE TOTAL > %s AND CREATED_AT >= %s", (100, "2024-01-01"))
print("param_count=%d" % cur.fetchone()[0])
cur.execute("SELECT p.STATE, count(*) AS n FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1 ORDER BY 1")
print("states=" + ",".join(r[0] for r in cur.fetchall()))
cur.execute("SELECT ID, TOTAL, CREATED_AT FROM ORDERS ORDER BY ID LIMIT 1")
row = cur.fetchone()
print("types=" + ",".join(type(v).__name__ for v in row))
cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'PEOPLE' ORDER BY ordinal_position")
print("people_columns=" + ",".join(r[0] for r in cur.fetchall()))
try:
    cur.execute("SELECT EMAIL FROM PEOPLE LIMIT 1")
    print("email=" + str(cur.fetchone()[0]))
except psycopg2.Error as e:
    print("email_error=" + e.pgcode)
    conn.rollback()
named = conn.cursor(name="orders_cursor")
named.itersize = 300
named.execute("SELECT ID FROM ORDERS")
n = 0
for _ in named:
    n += 1
named.close()
cur = conn.cursor()
cur.execute("SELECT count(*) FROM ORDERS")
print("named_cursor=%d/%d" % (n, cur.fetchone()[0]))
conn.close()
