// Check is the JDBC client of pgwire's tests (pgwire/clients_test.go): it
// connects with PostgreSQL's JDBC driver, as a BI tool does, and prints
// what it finds as key=value lines for the test to check.
//
//   java -cp /usr/share/java/postgresql.jar Check.java HOST PORT USER PASSWORD
import java.sql.*;
import java.util.*;

public class Check {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/agentlayer?sslmode=disable";
        Properties props = new Properties();
        props.setProperty("user", args[2]);
        props.setProperty("password", args[3]);
        try (Connection c = DriverManager.getConnection(url, props)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product=" + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            }
            System.out.println("schemas=" + String.join(",", schemas));
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
            }
            System.out.println("tables=" + String.join(",", tables));
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "PEOPLE", "%")) {
                while (rs.next()) cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
            System.out.println("people_columns=" + String.join(",", cols));
            List<String> pks = new ArrayList<>();
            try (ResultSet rs = md.getPrimaryKeys(null, "public", "ORDERS")) {
                while (rs.next()) pks.add(rs.getString("COLUMN_NAME"));
            }
            System.out.println("orders_pk=" + String.join(",", pks));
            List<String> fks = new ArrayList<>();
            try (ResultSet rs = md.getImportedKeys(null, "public", "ORDERS")) {
                while (rs.next()) fks.add(rs.getString("FKCOLUMN_NAME") + "->" + rs.getString("PKTABLE_NAME") + "." + rs.getString("PKCOLUMN_NAME"));
            }
            Collections.sort(fks);
            System.out.println("orders_fks=" + String.join(",", fks));

            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM ORDERS WHERE TOTAL > ?")) {
                List<String> counts = new ArrayList<>();
                for (double v : new double[] {50, 100, 150, 50}) {
                    ps.setDouble(1, v);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        counts.add(Long.toString(rs.getLong(1)));
                    }
                }
                System.out.println("prepared_counts=" + String.join(",", counts));
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT p.STATE, count(*) FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1 ORDER BY 1")) {
                List<String> states = new ArrayList<>();
                while (rs.next()) states.add(rs.getString(1));
                System.out.println("states=" + String.join(",", states));
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT ID, TOTAL, CREATED_AT FROM ORDERS ORDER BY ID LIMIT 1")) {
                rs.next();
                System.out.println("types=" + rs.getObject(1).getClass().getSimpleName() + "," + rs.getObject(2).getClass().getSimpleName()
                        + "," + rs.getObject(3).getClass().getSimpleName());
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT EMAIL FROM PEOPLE LIMIT 1")) {
                rs.next();
                System.out.println("email=" + rs.getString(1));
            } catch (SQLException e) {
                System.out.println("email_error=" + e.getSQLState());
            }
            c.setAutoCommit(false);
            long total;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM ORDERS")) {
                rs.next();
                total = rs.getLong(1);
            }
            try (Statement st = c.createStatement()) {
                st.setFetchSize(500);
                long n = 0;
                try (ResultSet rs = st.executeQuery("SELECT ID, TOTAL FROM ORDERS")) {
                    while (rs.next()) n++;
                }
                System.out.println("fetched=" + n + "/" + total);
            }
            c.commit();
        }
    }
}
