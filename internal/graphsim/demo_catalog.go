package graphsim

// Graph's operatingSystem is free text; these are the values Intune writes.
const (
	osWindows = "Windows"
	osMacOS   = "macOS"
	osIOS     = "iOS"
	osAndroid = "Android"
)

var demoGivenNames = []string{
	"Alex", "Allan", "Amelia", "Ana", "Arjun", "Ben", "Bianca", "Carlos", "Chen", "Chloe",
	"Daniel", "Diego", "Elena", "Emily", "Ethan", "Fatima", "Grace", "Hana", "Henrik", "Isabel",
	"Ivan", "Jack", "James", "Johanna", "Jonas", "Kenji", "Laura", "Leila", "Liam", "Lucas",
	"Lynne", "Maria", "Megan", "Miguel", "Mohammed", "Nestor", "Nina", "Noah", "Olivia", "Omar",
	"Patti", "Priya", "Rahul", "Sofia", "Sven", "Tomás", "Yuki", "Zara",
}

var demoSurnames = []string{
	"Adams", "Andersen", "Bauer", "Brown", "Campbell", "Chen", "Costa", "Davies", "Dubois", "Evans",
	"Fernandes", "Fischer", "Garcia", "Gupta", "Hansen", "Hughes", "Ito", "Jensen", "Johnson", "Kowalski",
	"Kumar", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Miller", "Moreau", "Nakamura", "Nguyen",
	"Novak", "Okafor", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Smith", "Suzuki",
	"Taylor", "Walker", "Wilson", "Wright", "Yamamoto", "Zhang",
}

var demoJobTitles = []string{
	"Accountant", "Buyer", "Customer Success Manager", "Designer", "Developer", "Engineer",
	"Field Technician", "Marketing Specialist", "Nurse", "Product Manager", "Retail Manager",
	"Sales Representative", "Store Associate", "Support Analyst", "Warehouse Operator",
}

var demoDepartments = []string{
	"Engineering", "Finance", "Human Resources", "IT", "Legal", "Marketing", "Operations", "Retail", "Sales",
}

var demoOffices = []string{"Redmond", "Dublin", "Munich", "Madrid", "Stockholm", "Warsaw", "Shanghai", "Remote"}

// demoModel is a hardware model and the operating-system versions it runs.
type demoModel struct {
	manufacturer, model string
	label               string // what a person calls it, for Apple device names
	serial              string // serial number pattern: # digit, ? letter or digit, others literal
	osVersions          []string
	phone               bool // has an IMEI
}

var demoModels = map[string][]demoModel{
	osWindows: {
		{"Dell Inc.", "Latitude 7440", "", "???????", winVersions, false},
		{"Dell Inc.", "OptiPlex 7010", "", "???????", winVersions, false},
		{"LENOVO", "21HMCTO1WW", "", "PF??????", winVersions, false},
		{"LENOVO", "21AH00FGUS", "", "PF??????", winVersions, false},
		{"HP", "HP EliteBook 840 G10 Notebook PC", "", "5CG#####??", winVersions, false},
		{"HP", "HP EliteDesk 800 G6 Desktop Mini PC", "", "MXL#####??", winVersions, false},
		{"Microsoft Corporation", "Surface Laptop 5", "", "0############", winVersions, false},
		{"Microsoft Corporation", "Surface Pro 9", "", "0############", winVersions, false},
	},
	osMacOS: {
		{"Apple", "MacBookPro18,3", "MacBook Pro", "C02?????????", []string{"14.7.1", "15.1.1", "13.6.9"}, false},
		{"Apple", "MacBookAir10,1", "MacBook Air", "FVF?????????", []string{"14.7.1", "15.1.1"}, false},
		{"Apple", "Mac14,2", "MacBook Air", "H??????????", []string{"15.1.1", "15.0.1"}, false},
	},
	osIOS: {
		{"Apple", "iPhone 15", "iPhone", "F2L?????????", []string{"18.1.1", "17.7.2"}, true},
		{"Apple", "iPhone 14 Pro", "iPhone", "G6T?????????", []string{"18.1.1", "17.6.1"}, true},
		{"Apple", "iPhone 13", "iPhone", "DX3?????????", []string{"17.7.2", "16.7.10"}, true},
		{"Apple", "iPad Air (5th generation)", "iPad", "DMP?????????", []string{"18.1.1", "17.7.2"}, false},
	},
	osAndroid: {
		{"Google", "Pixel 8", "", "3A###??????", []string{"15", "14"}, true},
		{"Google", "Pixel 7a", "", "2B###??????", []string{"14", "13"}, true},
		{"samsung", "SM-S911B", "", "R5C???????", []string{"14", "13"}, true},
		{"samsung", "SM-A546B", "", "R58???????", []string{"14", "13"}, true},
		{"Zebra Technologies", "TC52", "", "2#######???", []string{"11", "13"}, false},
	},
}

var winVersions = []string{"10.0.26100.2314", "10.0.22631.4460", "10.0.22621.4317", "10.0.19045.5131"}

// demoAppCatalog is software Intune detects on Windows devices; two Zoom
// versions are two detected apps, as Intune counts them.
var demoAppCatalog = []struct {
	name, publisher, version string
	size                     int64
}{
	{"Microsoft Edge", "Microsoft Corporation", "131.0.2903.70", 612_630_528},
	{"Microsoft Teams", "Microsoft Corporation", "24295.605.3225.8804", 395_018_240},
	{"Microsoft 365 Apps for enterprise - en-us", "Microsoft Corporation", "16.0.18129.20158", 3_114_278_912},
	{"Google Chrome", "Google LLC", "131.0.6778.86", 540_311_552},
	{"Mozilla Firefox (x64 en-US)", "Mozilla", "133.0", 254_902_272},
	{"Zoom Workplace (64-bit)", "Zoom Video Communications, Inc.", "6.2.11.52471", 318_767_104},
	{"Zoom Workplace (64-bit)", "Zoom Video Communications, Inc.", "5.17.11.34827", 301_989_888},
	{"7-Zip 24.08 (x64)", "Igor Pavlov", "24.08", 5_922_816},
	{"Notepad++ (64-bit x64)", "Notepad++ Team", "8.7.1", 15_138_816},
	{"Adobe Acrobat (64-bit)", "Adobe", "24.004.20272", 1_288_490_188},
	{"Visual Studio Code", "Microsoft Corporation", "1.95.3", 402_653_184},
	{"Git", "The Git Development Community", "2.47.0.2", 356_515_840},
	{"Python 3.12.7 (64-bit)", "Python Software Foundation", "3.12.7150.0", 102_760_448},
	{"Slack", "Slack Technologies Inc.", "4.41.97", 425_721_856},
	{"TeamViewer", "TeamViewer", "15.59.5", 134_217_728},
	{"Cisco Secure Client - AnyConnect VPN", "Cisco Systems, Inc.", "5.1.6.103", 94_371_840},
	{"Citrix Workspace 2409", "Citrix Systems, Inc.", "24.9.0.133", 512_753_664},
	{"Microsoft Visual C++ 2015-2022 Redistributable (x64)", "Microsoft Corporation", "14.42.34433.0", 20_971_520},
	{"Dell Command | Update", "Dell Inc.", "5.4.0", 48_234_496},
	{"Lenovo Vantage Service", "Lenovo Group Ltd.", "4.1.37.0", 61_865_984},
	{"HP Wolf Security", "HP Inc.", "4.6.14.2307", 1_073_741_824},
	{"Company Portal", "Microsoft Corporation", "11.2.1002.0", 73_400_320},
	{"Power BI Desktop (x64)", "Microsoft Corporation", "2.138.1203.0", 1_610_612_736},
	{"KeePassXC", "KeePassXC Team", "2.7.9", 52_428_800},
}
